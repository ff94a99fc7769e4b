using System.CommandLine;
using Spectre.Console;
using Wasme.Cli.Infrastructure;
using Wasme.Oci.References;

namespace Wasme.Cli.Commands.Images;

/// <summary><c>wasme tag SRC DST</c>: another name for a stored image (no copy).</summary>
internal sealed class TagCommand : WasmeCommand
{
    private readonly Argument<string> _source = new("SRC") { Description = "Stored image (tag or digest)." };
    private readonly Argument<string> _target = new("DST") { Description = "New name, registry/repo:tag." };
    private readonly RegistryOptions _options = new();

    public TagCommand(CliContext context)
        : base(context, "tag", "Give a stored image another name, e.g. before pushing it to another registry.")
    {
        Arguments.Add(_source);
        Arguments.Add(_target);
        _options.AddStoreTo(this);
        Example("Name a local build for a registry, then push it", "wasme tag my-filter:v1 ghcr.io/acme/my-filter:v1 && wasme push ghcr.io/acme/my-filter:v1");
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var store = _options.OpenStore(Context, parseResult);
        var tagged = await store.TagAsync(ImageReference.Parse(parseResult.GetValue(_source)!), ImageReference.Parse(parseResult.GetValue(_target)!), cancellationToken);
        Context.Out.WriteLine($"Tagged {tagged.Reference} ({tagged.ManifestDigest})", Style.Plain);
        return ExitCodes.Success;
    }
}
