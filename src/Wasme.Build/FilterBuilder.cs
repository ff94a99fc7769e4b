using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wasme.Oci.References;
using Wasme.Oci.Store;

namespace Wasme.Build;

/// <summary>
/// <c>wasme build</c>: compile and validate with <see cref="FilterCompiler"/>, then store the image.
/// Nothing reaches the store unless validation passed.
/// </summary>
public sealed partial class FilterBuilder
{
    private readonly FilterCompiler _compiler;
    private readonly LocalImageStore _store;
    private readonly ILogger _logger;

    public FilterBuilder(FilterCompiler compiler, LocalImageStore store, ILogger<FilterBuilder>? logger = null)
    {
        _compiler = compiler;
        _store = store;
        _logger = logger ?? NullLogger<FilterBuilder>.Instance;
    }

    public async Task<FilterBuildResult> BuildAsync(FilterCompileRequest request, ImageReference reference, CancellationToken cancellationToken)
    {
        RequireTag(reference);
        var compiled = await _compiler.CompileAsync(request, cancellationToken);
        return await StoreAsync(compiled, reference, cancellationToken);
    }

    /// <summary>Compiles, then runs <paramref name="beforeStore"/> on the validated module (the filter's tests); nothing is stored if it throws.</summary>
    public async Task<FilterBuildResult> BuildAsync(FilterCompileRequest request, ImageReference reference, Func<CompiledFilter, CancellationToken, Task> beforeStore, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(beforeStore);
        RequireTag(reference);
        var compiled = await _compiler.CompileAsync(request, cancellationToken);
        await beforeStore(compiled, cancellationToken);
        return await StoreAsync(compiled, reference, cancellationToken);
    }

    /// <summary><c>wasme build precompiled</c>: validates and stores a module built elsewhere.</summary>
    public async Task<FilterBuildResult> ImportPrecompiledAsync(string modulePath, string configPath, ImageReference reference, CancellationToken cancellationToken)
    {
        RequireTag(reference);
        var compiled = await _compiler.LoadPrecompiledAsync(modulePath, configPath, cancellationToken);
        return await StoreAsync(compiled, reference, cancellationToken);
    }

    /// <summary>
    /// The digest of what is built is known only once it is built; checked before compiling, so a whole build is not
    /// spent to end in a digest mismatch.
    /// </summary>
    private static void RequireTag(ImageReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (reference.Digest is { } digest)
        {
            throw new Oci.Errors.OciUsageException(
                $"-t {reference} names a digest ({digest}); the build computes the digest and prints it. Give a tag instead, e.g. -t {reference.WithoutDigest()}");
        }
    }

    private async Task<FilterBuildResult> StoreAsync(CompiledFilter compiled, ImageReference reference, CancellationToken cancellationToken)
    {
        var image = await _store.AddAsync(reference, compiled.Module, compiled.Config, cancellationToken: cancellationToken);
        LogStored(_logger, image.Reference, image.ManifestDigest);
        return new FilterBuildResult(compiled, image);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored {Reference} as {Digest}")]
    private static partial void LogStored(ILogger logger, ImageReference reference, Digest digest);
}
