using Wasme.Input;
using Wasme.Oci;
using Wasme.Oci.Errors;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Store;
using Wasme.Oci.Transfer;
using Wasme.Oci.Wasm;
using Wasme.Proxy.Istio;

namespace Wasme.Cli.Commands.Run;

/// <summary>A module to run and what the image (or a runtime-config.json beside a file) says about it.</summary>
internal sealed record RunFilterSource(string Name, byte[] Module, IReadOnlyList<string> RootIds, string Origin);

/// <summary>Turns the <c>IMAGE_OR_FILE</c> arguments into modules: a path to a .wasm (or .wat) file, else an image in the local store.</summary>
internal sealed class RunFilterResolver(Func<LocalImageStore> openStore, Func<ImageReference, Digest, CancellationToken, Task>? verify = null)
{
    public async Task<RunFilterSource> ResolveAsync(string argument, CancellationToken cancellationToken)
    {
        if (File.Exists(argument))
        {
            if (verify is not null)
            {
                throw new OciUsageException($"--verify checks signed images, and {argument} is a file; push and sign it as an image, or run without --verify");
            }

            var info = new FileInfo(argument);
            var module = await ReadModuleFileAsync(argument, cancellationToken);
            if (argument.EndsWith(".wat", StringComparison.OrdinalIgnoreCase))
            {
                // WebAssembly text, as wasme test takes it: compiled to the binary module Envoy would be given.
                module = FromText(argument, module);
            }

            try
            {
                // Checked here so the message names the file, in one line, before Wasmtime's multi-line report.
                WasmModule.Parse(module);
            }
            catch (WasmFormatException ex)
            {
                throw new OciUsageException($"{argument} is not a WebAssembly module ({ex.Reason})");
            }

            var rootIds = await RootIdsBesideAsync(info, cancellationToken);
            return new RunFilterSource(Path.GetFileNameWithoutExtension(argument), module, rootIds, argument);
        }

        if (argument.EndsWith(".wasm", StringComparison.OrdinalIgnoreCase))
        {
            throw new OciNotFoundException($"{argument} does not exist; pass the path of a built module, or an image from `wasme list`");
        }

        if (!ImageReference.TryParse(argument, out var reference))
        {
            throw new OciUsageException($"'{argument}' is neither an existing .wasm file nor an image reference (for example webassemblyhub.io/me/filter:v1)");
        }

        var store = openStore();
        var image = await store.GetAsync(reference, cancellationToken);
        if (verify is not null)
        {
            await verify(image.Reference, image.ManifestDigest, cancellationToken);
        }

        var bytes = await store.ReadModuleAsync(image, cancellationToken);
        var name = reference.Repository[(reference.Repository.LastIndexOf('/') + 1)..];
        return new RunFilterSource(name, bytes, image.RootIds, reference.ToString());
    }

    private static byte[] FromText(string path, byte[] text)
    {
        try
        {
            return ProxyWasm.ProxyWasmRuntime.ConvertText(System.Text.Encoding.UTF8.GetString(text));
        }
        catch (ProxyWasm.ProxyWasmException ex)
        {
            // Wasmtime's report is several lines: the problem, then "--> <anon>:LINE:COLUMN" and the source line.
            var lines = ex.Message.Split('\n');
            var where = lines.Select(l => System.Text.RegularExpressions.Regex.Match(l, @"-->\s*\S*?:(\d+):(\d+)")).FirstOrDefault(m => m.Success);
            var at = where is null ? "" : $" at line {where.Groups[1].Value}, column {where.Groups[2].Value}";
            throw new OciUsageException($"{path} is not valid WebAssembly text{at}: {lines[0].Trim()}");
        }
    }

    /// <summary>
    /// A module file's bytes, at most <see cref="RegistryLimits.DefaultMaxModuleSize"/> whatever length the file system
    /// reports: <c>/dev/zero</c> reports 0 and never ends, and read whole it ran the process out of memory.
    /// </summary>
    /// <exception cref="OciIntegrityException">The file is larger than the module bound.</exception>
    public static async Task<byte[]> ReadModuleFileAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await InputFile.ReadAsync(path, (int)RegistryLimits.DefaultMaxModuleSize, cancellationToken);
        }
        catch (InputFileException e)
        {
            throw new OciIntegrityException($"{path} {(Directory.Exists(path) ? e.Problem : $"is larger than the {RegistryLimits.DefaultMaxModuleSize}-byte module limit; pass the module file itself, not a device")}");
        }
    }

    /// <summary>A module built by <c>wasme build</c> sits next to its runtime-config.json; use its root ids.</summary>
    private static async Task<IReadOnlyList<string>> RootIdsBesideAsync(FileInfo module, CancellationToken cancellationToken)
    {
        foreach (var directory in new[] { module.Directory, module.Directory?.Parent })
        {
            var path = directory is null ? null : Path.Combine(directory.FullName, "runtime-config.json");
            if (path is not null && File.Exists(path))
            {
                return (await Build.FilterCompiler.ReadConfigAsync(path, cancellationToken)).RootIds;
            }
        }

        return [];
    }
}

/// <summary>
/// Answers WasmPlugin <c>oci://</c> URLs from the local store, pulling the image first when the store lacks it
/// (as istio-agent would), and checking the pinned manifest digest as Istio does.
/// </summary>
internal sealed class StoreOciModuleResolver(Func<LocalImageStore> openStore, Func<RegistryClient> createClient) : IOciModuleResolver
{
    public async Task<byte[]> ResolveAsync(OciWasmCode code, CancellationToken cancellationToken)
    {
        if (!ImageReference.TryParse(code.Reference, out var reference))
        {
            throw new WasmCodeFetchException(WasmCodeFailure.NotFound, $"oci://{code.Reference} is not a valid image reference");
        }

        var store = openStore();
        var image = await store.FindAsync(reference, cancellationToken);
        if (image is null)
        {
            using var client = createClient();
            image = await new ImagePuller(client).PullAsync(reference, store, progress: null, cancellationToken);
        }

        if (code.Sha256 is { } pinned && image.ManifestDigest.Hex != pinned)
        {
            throw new WasmCodeFetchException(WasmCodeFailure.Integrity,
                $"oci://{code.Reference} has manifest digest sha256:{image.ManifestDigest.Hex}, but the WasmPlugin pins sha256:{pinned}; refusing to run it");
        }

        return await store.ReadModuleAsync(image, cancellationToken);
    }
}
