namespace Autolab.Slurm.Tests;

/// <summary>What the test classes share: the module's runspace, the real jobs, and a fresh temporary repository per test.</summary>
public abstract class ModuleTest : IDisposable
{
    protected ModuleTest(ModuleRunspace module, SlurmJobs jobs)
    {
        Module = module;
        Jobs = jobs;
        Repo = new TestRepository(module);
    }

    protected ModuleRunspace Module { get; }

    protected SlurmJobs Jobs { get; }

    protected TestRepository Repo { get; }

    public void Dispose()
    {
        Repo.Dispose();
        GC.SuppressFinalize(this);
    }
}
