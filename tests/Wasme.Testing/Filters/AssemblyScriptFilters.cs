using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Wasme.Build;
using Wasme.Build.Templates;
using Wasme.Build.Toolchains;
using Wasme.Oci;

namespace Wasme.Testing.Filters;

/// <summary>
/// Builds real AssemblyScript filters (<c>@solo-io/proxy-runtime</c> 0.1.8, <c>assemblyscript</c> 0.14.9)
/// from source strings, with the same <see cref="FilterCompiler"/> that <c>wasme build</c> uses.
/// <para>
/// One <c>npm ci</c> per template lock file fills a node_modules shared by every build, in this run and
/// later ones (under <c>$TMPDIR/wasme-test-npm/&lt;hash&gt;</c>, or <c>WASME_TEST_NPM_CACHE</c>). Each build
/// copies the template, replaces <c>assembly/index.ts</c>, links that node_modules and runs asc. Modules are
/// cached by the hash of everything that goes into them, so the same source is compiled once.
/// </para>
/// Safe to use from concurrent test classes and concurrent test processes: everything shared is
/// written to a temporary name and renamed into place.
/// <example><code>
/// public sealed class MyTests(AssemblyScriptFilters filters) : IClassFixture&lt;AssemblyScriptFilters&gt;
/// {
///     [Fact] public async Task Adds_header() { var filter = await filters.BuildAsync(AssemblyScriptFilters.AddHeaderSource); ... }
/// }
/// </code></example>
/// </summary>
public sealed class AssemblyScriptFilters
{
    public const string DefaultRootId = "add_header";

    // What @solo-io/proxy-runtime 0.1.8 exports (proxy_abi_version_0_2_0).
    private const string ProxyWasmAbiName = "v0.2.0";

    private static readonly FilterTemplate Template = FilterTemplates.For(FilterLanguage.AssemblyScript);
    private static readonly ConcurrentDictionary<string, Lazy<Task<BuiltFilter>>> Builds = new(StringComparer.Ordinal);
    private static readonly SemaphoreSlim CompileSlots = new(2);
    private static readonly Lazy<Task<string>> NodeModules = new(InstallNodeModulesAsync);

    /// <summary>The template's add-header filter (<c>hello: &lt;configuration&gt;</c>, root id <c>add_header</c>).</summary>
    public static string AddHeaderSource { get; } = TemplateText("assembly/index.ts");

    /// <summary>Where shared node_modules and module caches live.</summary>
    public static string CacheRoot { get; } =
        Environment.GetEnvironmentVariable("WASME_TEST_NPM_CACHE") is { Length: > 0 } root
            ? root
            : Path.Combine(Path.GetTempPath(), "wasme-test-npm");

    /// <summary>
    /// Builds <paramref name="indexTs"/> as <c>assembly/index.ts</c> of the AssemblyScript template.
    /// <paramref name="rootIds"/> go into runtime-config.json and must be registered by the source.
    /// </summary>
    /// <exception cref="Build.Validation.ModuleValidationException">The module lacks a declared root id.</exception>
    /// <exception cref="ToolchainFailedException">asc rejected the source (the message holds its output).</exception>
    [SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "Instance API so it works as an xunit fixture; the caches are process-wide on purpose.")]
    public Task<BuiltFilter> BuildAsync(string indexTs, IReadOnlyList<string>? rootIds = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(indexTs);
        var config = RuntimeConfig.Create([ProxyWasmAbiName], rootIds is { Count: > 0 } ? rootIds : [DefaultRootId]);
        var key = Hash(Encoding.UTF8.GetBytes(indexTs), config.ToJsonBytes(), TemplateBytes("package-lock.json"), TemplateBytes("package.json"));
        var lazy = Builds.GetOrAdd(key, k => new Lazy<Task<BuiltFilter>>(() => BuildUncachedAsync(k, indexTs, config, cancellationToken)));
        return AwaitOrForgetAsync(key, lazy);
    }

    private static async Task<BuiltFilter> AwaitOrForgetAsync(string key, Lazy<Task<BuiltFilter>> lazy)
    {
        try
        {
            return await lazy.Value;
        }
        catch
        {
            // A failed build (or a cancelled one) must not poison later calls with the same source.
            Builds.TryRemove(new KeyValuePair<string, Lazy<Task<BuiltFilter>>>(key, lazy));
            throw;
        }
    }

    private static async Task<BuiltFilter> BuildUncachedAsync(string key, string indexTs, RuntimeConfig config, CancellationToken cancellationToken)
    {
        var nodeModules = await NodeModules.Value;
        var modulesDirectory = Path.Combine(Path.GetDirectoryName(nodeModules)!, "modules");
        var cached = Path.Combine(modulesDirectory, key + ".wasm");
        if (File.Exists(cached))
        {
            return new BuiltFilter(cached, await File.ReadAllBytesAsync(cached, cancellationToken), config);
        }

        await CompileSlots.WaitAsync(cancellationToken);
        var project = Directory.CreateTempSubdirectory("wasme-asfilter-");
        try
        {
            await TemplateWriter.WriteAsync(Template, project.FullName, overwrite: true, cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(project.FullName, "assembly", "index.ts"), indexTs, cancellationToken);
            await File.WriteAllBytesAsync(Path.Combine(project.FullName, FilterCompiler.RuntimeConfigFileName), config.ToJsonBytes(), cancellationToken);
            Directory.CreateSymbolicLink(Path.Combine(project.FullName, "node_modules"), nodeModules);

            var compiler = FilterCompiler.CreateDefault(new ProcessToolRunner(Environment.GetEnvironmentVariable), Environment.GetEnvironmentVariable);
            var compiled = await compiler.CompileAsync(
                new FilterCompileRequest
                {
                    Language = FilterLanguage.AssemblyScript,
                    ProjectDirectory = project.FullName,
                    SkipDependencyInstall = true,
                },
                cancellationToken);

            Directory.CreateDirectory(modulesDirectory);
            var temporary = cached + "." + Guid.NewGuid().ToString("N") + ".tmp";
            await File.WriteAllBytesAsync(temporary, compiled.Module.ToArray(), cancellationToken);
            File.Move(temporary, cached, overwrite: true);
            return new BuiltFilter(cached, compiled.Module.ToArray(), compiled.Config);
        }
        finally
        {
            CompileSlots.Release();
            project.Delete(recursive: true);
        }
    }

    /// <summary>Runs <c>npm ci</c> once per lock file into a staging directory and renames it into place.</summary>
    private static async Task<string> InstallNodeModulesAsync()
    {
        var packageJson = TemplateBytes("package.json");
        var packageLock = TemplateBytes("package-lock.json");
        var directory = Path.Combine(CacheRoot, Hash(packageJson, packageLock));
        var nodeModules = Path.Combine(directory, "node_modules");
        if (File.Exists(Path.Combine(directory, ".complete")))
        {
            return nodeModules;
        }

        Directory.CreateDirectory(CacheRoot);
        var staging = Path.Combine(CacheRoot, $".staging-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            await File.WriteAllBytesAsync(Path.Combine(staging, "package.json"), packageJson);
            await File.WriteAllBytesAsync(Path.Combine(staging, "package-lock.json"), packageLock);
            var runner = new ProcessToolRunner(Environment.GetEnvironmentVariable);
            var npm = runner.FindExecutable("npm")
                ?? throw new ToolchainMissingException("npm", "Node.js and npm (`apt-get install nodejs npm`); the AssemblyScript test filters need them");
            var result = await runner.RunAsync(new ToolCommand(npm, ["ci", "--no-audit", "--no-fund"], staging), null, CancellationToken.None);
            if (result.ExitCode != 0)
            {
                throw new ToolchainFailedException($"npm ci for the AssemblyScript test filters failed with exit code {result.ExitCode}", result.OutputTail);
            }

            await File.WriteAllTextAsync(Path.Combine(staging, ".complete"), "");
            try
            {
                Directory.Move(staging, directory);
            }
            catch (IOException) when (File.Exists(Path.Combine(directory, ".complete")))
            {
                // Another test process finished the same install first; use theirs.
            }

            return nodeModules;
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    private static byte[] TemplateBytes(string relativePath) =>
        Template.Files.Single(f => f.RelativePath == relativePath).Content.ToArray();

    private static string TemplateText(string relativePath) => Encoding.UTF8.GetString(TemplateBytes(relativePath));

    private static string Hash(params ReadOnlySpan<byte[]> parts)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var part in parts)
        {
            hash.AppendData(BitConverter.GetBytes(part.Length));
            hash.AppendData(part);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset())[..24];
    }
}
