using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wasme.Build.Scratch;
using Wasme.Build.Toolchains;
using Wasme.Build.Validation;
using Wasme.Input;
using Wasme.Oci;

namespace Wasme.Build;

/// <summary>
/// Source (or a ready module) to a validated module: runs the language's toolchain, reads what it
/// wrote within the size bound, and validates it against the runtime config. Stores nothing.
/// </summary>
public sealed partial class FilterCompiler
{
    public const string RuntimeConfigFileName = "runtime-config.json";
    private const int MaxConfigBytes = 64 * 1024;

    private readonly Dictionary<FilterLanguage, IFilterToolchain> _toolchains;
    private readonly FilterBuildOptions _options;
    private readonly ILogger _logger;

    public FilterCompiler(IEnumerable<IFilterToolchain> toolchains, FilterBuildOptions? options = null, ILogger<FilterCompiler>? logger = null)
    {
        _toolchains = toolchains.ToDictionary(t => t.Language);
        _options = options ?? new FilterBuildOptions();
        _options.Validate();
        _logger = logger ?? NullLogger<FilterCompiler>.Instance;
    }

    /// <summary>The file each language's project has at its root; the toolchains build from it.</summary>
    private static readonly (FilterLanguage Language, string File)[] ProjectFiles =
    [
        (FilterLanguage.AssemblyScript, "package.json"),
        (FilterLanguage.Rust, "Cargo.toml"),
        (FilterLanguage.TinyGo, "go.mod"),
        (FilterLanguage.Cpp, "Makefile"),
    ];

    /// <summary>The standard toolchains, running programs through <paramref name="runner"/>.</summary>
    public static FilterCompiler CreateDefault(IToolRunner runner, Func<string, string?> getEnvironmentVariable, FilterBuildOptions? options = null, ILogger<FilterCompiler>? logger = null) =>
        new(
            [
                new AssemblyScriptToolchain(runner),
                new RustToolchain(runner),
                new TinyGoToolchain(runner),
                new CppToolchain(runner, getEnvironmentVariable),
            ],
            options,
            logger);

    /// <summary>
    /// `wasme build rust` on an AssemblyScript project is a wrong argument (exit 2), not a toolchain failure: say so, and
    /// which build the directory's files fit, before anything runs.
    /// </summary>
    private static void RefuseOtherLanguage(FilterLanguage language, string directory)
    {
        var own = ProjectFiles.Single(p => p.Language == language).File;
        if (File.Exists(Path.Combine(directory, own)))
        {
            return;
        }

        var name = FilterLanguages.Name(language);
        var article = name.StartsWith('a') ? "an" : "a";
        var other = ProjectFiles.FirstOrDefault(p => p.Language != language && File.Exists(Path.Combine(directory, p.File)));
        throw new Oci.Errors.OciUsageException(other.File is not null
            ? $"{directory} has no {own}, so it is not {article} {name} project; it has a {other.File}: build it with `wasme build {FilterLanguages.Name(other.Language)} {directory}`"
            : $"{directory} has no {own}, so it is not {article} {name} project; create one with `wasme init {directory} --language {name}`");
    }

    /// <exception cref="Oci.Errors.OciUsageException">The runtime config is missing or invalid, or the directory is not a project of the language.</exception>
    /// <exception cref="ToolchainMissingException">The toolchain is not installed.</exception>
    /// <exception cref="ToolchainFailedException">The toolchain failed.</exception>
    /// <exception cref="ModuleValidationException">The output is not a usable filter.</exception>
    public async Task<CompiledFilter> CompileAsync(FilterCompileRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!Directory.Exists(request.ProjectDirectory))
        {
            throw File.Exists(request.ProjectDirectory)
                ? new Oci.Errors.OciUsageException($"{request.ProjectDirectory} is a file, not a project directory; pass the directory that holds the project, e.g. {Path.GetDirectoryName(Path.GetFullPath(request.ProjectDirectory))}")
                : new Oci.Errors.OciNotFoundException($"project directory {request.ProjectDirectory} does not exist; create one with `wasme init {request.ProjectDirectory} --language {FilterLanguages.Name(request.Language)}`");
        }

        RefuseOtherLanguage(request.Language, request.ProjectDirectory);

        // Read the config first: a typo there should not cost a full compile.
        var config = await ReadConfigAsync(request.EffectiveConfigPath, cancellationToken);
        var toolchain = _toolchains.TryGetValue(request.Language, out var found)
            ? found
            : throw new InvalidOperationException($"no toolchain registered for {request.Language}");

        var scratch = ScratchDirectory.Create("wasme-build-");
        try
        {
            var modulePath = await toolchain.BuildAsync(
                new ToolchainBuildRequest
                {
                    ProjectDirectory = Path.GetFullPath(request.ProjectDirectory),
                    ScratchDirectory = scratch.Path,
                    SkipDependencyInstall = request.SkipDependencyInstall,
                    Output = request.Output,
                },
                cancellationToken);
            var compiled = await LoadAsync(modulePath, config, cancellationToken);
            LogCompiled(_logger, request.Language, modulePath, compiled.Module.Length);
            return compiled;
        }
        finally
        {
            scratch.Dispose();
        }
    }

    /// <summary>Validates a ready-made module (<c>wasme build precompiled</c>).</summary>
    public async Task<CompiledFilter> LoadPrecompiledAsync(string modulePath, string configPath, CancellationToken cancellationToken)
    {
        var config = await ReadConfigAsync(configPath, cancellationToken);
        return await LoadAsync(modulePath, config, cancellationToken);
    }

    public static async Task<RuntimeConfig> ReadConfigAsync(string path, CancellationToken cancellationToken)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw Directory.Exists(path)
                ? new Oci.Errors.OciUsageException($"runtime config {path} is a directory; pass the runtime config file with --config FILE")
                : new Oci.Errors.OciNotFoundException($"runtime config {path} does not exist; pass --config FILE, or create it: " +
                  "{\"type\":\"envoy_proxy\",\"abiVersions\":[\"v0.2.1\"],\"config\":{\"rootIds\":[\"my_root_id\"]}}");
        }

        var bytes = (file.Length <= MaxConfigBytes ? await ReadAtMostAsync(path, MaxConfigBytes, cancellationToken) : null)
            ?? throw new Oci.Errors.OciUsageException($"runtime config {path} is over {MaxConfigBytes} bytes; a runtime config is at most {MaxConfigBytes} bytes");
        return RuntimeConfig.Parse(bytes, path);
    }

    private async Task<CompiledFilter> LoadAsync(string modulePath, RuntimeConfig config, CancellationToken cancellationToken)
    {
        var file = new FileInfo(modulePath);
        if (!file.Exists)
        {
            // Exit 3 (not found) per `wasme exit-codes`; a directory is a wrong argument, not a missing file.
            throw Directory.Exists(modulePath)
                ? new Oci.Errors.OciUsageException($"module {modulePath} is a directory; pass the .wasm file the compiler wrote")
                : new Oci.Errors.OciNotFoundException($"module {modulePath} does not exist; pass the path of the .wasm file");
        }

        var bytes = (file.Length <= _options.MaxModuleBytes ? await ReadAtMostAsync(modulePath, _options.MaxModuleBytes, cancellationToken) : null)
            ?? throw new ModuleValidationException(modulePath, [
                $"it is over the module size limit of {_options.MaxModuleBytes} bytes; strip debug info or build in release mode",
            ]);
        var validated = ModuleValidator.Validate(bytes, config, modulePath);
        return new CompiledFilter(bytes, validated);
    }

    /// <summary>
    /// The file's bytes, or null when it holds more than <paramref name="max"/>. Counts what it reads rather than trusting
    /// the size on disk: a device or pipe (<c>/dev/zero</c>, <c>&lt;(cmd)</c>) reports 0 bytes and never ends; and the
    /// wait on a FIFO with no writer ends with Ctrl-C (<see cref="InputFile"/>).
    /// </summary>
    private static async Task<byte[]?> ReadAtMostAsync(string path, long max, CancellationToken cancellationToken)
    {
        try
        {
            return await InputFile.ReadAsync(path, (int)Math.Min(max, int.MaxValue), cancellationToken);
        }
        catch (InputFileException)
        {
            // Past the bound: a directory is refused before this is called.
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Compiled {Language} filter {ModulePath} ({Size} bytes)")]
    private static partial void LogCompiled(ILogger logger, FilterLanguage language, string modulePath, int size);
}
