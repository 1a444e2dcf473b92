namespace Autolab.Slurm.Core.Tests;

internal static class TestPaths
{
    public static string Base => AppContext.BaseDirectory;

    public static string Schemas => Path.Combine(Base, "schemas");

    public static string BundledManifestSchema => Path.Combine(Schemas, "run_manifest.schema.json");

    public static string StateTable => Path.Combine(Schemas, "slurm_states.json");

    public static string AutolabManifestSchema => Path.Combine(Base, "Fixtures", "autolab", "run_manifest.schema.json");

    public static string Fixture(params string[] parts) => Path.Combine(new[] { Base, "Fixtures" }.Concat(parts).ToArray());
}

/// <summary>A temp directory removed at the end of the test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "autolab-test-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine(new[] { Path }.Concat(parts).ToArray());

    public string Write(string relative, string content)
    {
        var full = Combine(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    public void Dispose()
    {
        try
        {
            foreach (var file in Directory.EnumerateFiles(Path, "*", SearchOption.AllDirectories))
            {
                File.SetAttributes(file, FileAttributes.Normal);
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }
            }

            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
