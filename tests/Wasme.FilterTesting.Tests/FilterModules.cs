using Wasme.FilterTesting.Execution;
using Wasme.FilterTesting.Model;
using Wasme.Testing.Filters;

namespace Wasme.FilterTesting.Tests;

/// <summary>The real AssemblyScript filters the runner is tested with: the template's add-header filter and the behaviours module.</summary>
public sealed class FilterModules : IAsyncLifetime
{
    public static readonly string[] BehaviourRootIds = ["deny", "body_rewrite", "http_call", "metric", "tick", "shared_writer", "shared_reader"];

    private readonly string _directory = Directory.CreateTempSubdirectory("wasme-filter-tests-").FullName;

    public string AddHeader { get; private set; } = "";

    public string Behaviours { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var filters = new AssemblyScriptFilters();
        AddHeader = (await filters.BuildAsync(AssemblyScriptFilters.AddHeaderSource)).ModulePath;
        var source = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Filters", "behaviours.ts"));
        Behaviours = (await filters.BuildAsync(source, BehaviourRootIds)).ModulePath;
    }

    /// <summary>Writes a test file into a fresh directory, with <paramref name="wat"/> beside it as filter.wat, and returns its path.</summary>
    public string WriteTestFile(string yaml, string? wat = null)
    {
        var directory = Directory.CreateTempSubdirectory("case-").FullName;
        if (wat is not null)
        {
            File.WriteAllText(Path.Combine(directory, "filter.wat"), wat);
        }

        var path = Path.Combine(directory, "filter.yaml");
        File.WriteAllText(path, yaml.Replace("$ADD_HEADER", AddHeader, StringComparison.Ordinal).Replace("$BEHAVIOURS", Behaviours, StringComparison.Ordinal));
        return path;
    }

    public FilterTestSuite Suite() => new(new FilterTestRunner(ResolveAsync, _directory));

    private static async Task<ResolvedModule> ResolveAsync(FilterSpec spec, CancellationToken cancellationToken) =>
        new(await File.ReadAllBytesAsync(spec.Module ?? throw new InvalidOperationException("tests name their modules"), cancellationToken),
            Path.GetFileNameWithoutExtension(spec.Module), null, IsText: spec.Module.EndsWith(".wat", StringComparison.Ordinal));

    public Task DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }
}
