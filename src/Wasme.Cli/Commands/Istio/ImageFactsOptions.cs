using System.CommandLine;
using System.Text.Json;
using Wasme.Cli.Infrastructure;
using Wasme.Istio.Api;
using Wasme.Istio.Translation;
using Wasme.Oci.References;

namespace Wasme.Cli.Commands.Istio;

/// <summary>
/// The options that say where image facts come from. Without any of them the image is pulled from its registry;
/// with <c>--image-facts</c> or <c>--module-sha256</c> + <c>--manifest-digest</c> nothing is fetched.
/// </summary>
internal sealed class ImageFactsOptions
{
    public Option<FileInfo?> FactsFile { get; } = new("--image-facts")
    {
        Description = "JSON file with the image facts {repository, manifestDigest, moduleSha256, abiVersions, rootIds}; no registry access.",
    };

    public Option<string?> ModuleSha256 { get; } = new("--module-sha256") { Description = "Hex sha256 of the module bytes (offline; needs --manifest-digest)." };

    public Option<string?> ManifestDigest { get; } = new("--manifest-digest") { Description = "Manifest digest sha256:<hex> of the image (offline; needs --module-sha256)." };

    public Option<string[]> AbiVersions { get; } = new("--abi-version") { Description = "ABI version the image declares (offline; repeatable)." };

    public Option<string[]> RootIds { get; } = new("--image-root-id") { Description = "Root id the image declares (offline; repeatable)." };

    public Option<bool> PlainHttp { get; } = new("--plain-http") { Description = "Talk to the registry over HTTP (only for registries on loopback or ones you trust)." };

    public Option<bool> Insecure { get; } = new("--insecure") { Description = "Do not verify the registry's TLS certificate." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { FactsFile, ModuleSha256, ManifestDigest, AbiVersions, RootIds, PlainHttp, Insecure })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The source the options describe, or an error message naming the missing option.</summary>
    public async Task<(IImageFactsSource? Source, string? Error)> ResolveAsync(ParseResult parse, string image, CliContext context, CancellationToken cancellationToken)
    {
        var file = parse.GetValue(FactsFile);
        if (file is not null)
        {
            if (!file.Exists && !Directory.Exists(file.FullName))
            {
                throw new CommandException(ExitCodes.NotFound, $"--image-facts: {file.FullName} does not exist");
            }

            try
            {
                var facts = JsonSerializer.Deserialize(await FlagFile.ReadTextAsync("--image-facts", file, cancellationToken), IstioJsonContext.Default.ImageFacts);
                return facts is null ? (null, $"--image-facts: {file.Name} is empty") : (new FixedImageFactsSource(facts), null);
            }
            catch (JsonException e)
            {
                return (null, $"--image-facts: {file.Name} is not valid image facts JSON: {e.Message}");
            }
        }

        var module = parse.GetValue(ModuleSha256);
        var manifest = parse.GetValue(ManifestDigest);
        if (module is null && manifest is null)
        {
            return (new RegistryImageFactsSource(context, parse.GetValue(PlainHttp), parse.GetValue(Insecure)), null);
        }

        if (module is null || manifest is null)
        {
            return (null, "offline image facts need both --module-sha256 and --manifest-digest");
        }

        var repository = ImageReference.TryParse(image, out var reference) ? reference.Name : image.Split('@')[0];
        return (new FixedImageFactsSource(new ImageFacts(
            repository,
            manifest,
            module,
            parse.GetValue(AbiVersions) ?? [],
            parse.GetValue(RootIds) ?? [])), null);
    }
}
