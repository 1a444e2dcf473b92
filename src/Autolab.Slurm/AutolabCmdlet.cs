using System.Management.Automation;
using Autolab.Slurm.Errors;

namespace Autolab.Slurm;

/// <summary>
/// What every cmdlet shares: a cancellation token cancelled by Ctrl+C (StopProcessing), the module's
/// data folder, path resolution through the PowerShell provider, and Core errors turned into
/// ErrorRecords with their stable ids.
/// </summary>
public abstract class AutolabCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _cancellation = new();
    private bool _disposed;

    protected CancellationToken CancellationToken => _cancellation.Token;

    protected override void StopProcessing() => _cancellation.Cancel();

    /// <summary>Resolves a user path (relative, ~, PSPath) to a full file-system path; the file need not exist.</summary>
    protected string ResolvePath(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>A non-terminating error for one input; the pipeline goes on with the others.</summary>
    protected void WriteAutolabError(AutolabException exception) => WriteError(ToErrorRecord(exception));

    protected void ThrowAutolabError(AutolabException exception) => ThrowTerminatingError(ToErrorRecord(exception));

    protected static ErrorRecord ToErrorRecord(AutolabException exception)
    {
        var category = Enum.TryParse<ErrorCategory>(exception.Category.ToString(), out var parsed) ? parsed : ErrorCategory.NotSpecified;
        return new ErrorRecord(exception, exception.ErrorId, category, exception.Target);
    }

    /// <summary>Runs a Core call, turning its expected failures into a non-terminating error. Returns false on error.</summary>
    protected bool TryRun(Action action)
    {
        try
        {
            action();
            return true;
        }
        catch (AutolabException ex)
        {
            WriteAutolabError(ex);
            return false;
        }
        catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        if (disposing)
        {
            _cancellation.Dispose();
        }

        _disposed = true;
    }
}
