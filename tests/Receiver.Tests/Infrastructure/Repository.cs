namespace Receiver.Tests.Infrastructure;

public static class Repository
{
    /// <summary>The checkout the tests were built from: the first folder above the test binaries holding Receiver.sln.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Receiver.sln"))) return directory.FullName;
        }
        throw new InvalidOperationException($"No Receiver.sln above {AppContext.BaseDirectory}.");
    }
}
