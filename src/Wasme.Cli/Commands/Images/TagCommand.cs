using System.CommandLine;
using Spectre.Console;
using Wasme.Oci.References;

namespace Wasme.Cli.Commands.Images;

/// <summary><c>wasme tag SRC DST</c>: another name for a stored image (no copy).</summary>
internal sealed class TagCommand : Command
{
    public TagCommand(CliContext context)
        : base("tag", "Give a stored image another name, e.g. before pushing it to another registry.")
    {
        var source = new Argument<string>("SRC") { Description = "Stored image (tag or digest)." };
        var target = new Argument<string>("DST") { Description = "New name, registry/repo:tag." };
        var options = new RegistryOptions();
        Arguments.Add(source);
        Arguments.Add(target);
        options.AddStoreTo(this);

        SetAction((parseResult, cancellationToken) => ImageErrors.RunAsync(context, async () =>
        {
            var store = options.OpenStore(context, parseResult);
            var tagged = await store.TagAsync(ImageReference.Parse(parseResult.GetValue(source)!), ImageReference.Parse(parseResult.GetValue(target)!), cancellationToken);
            context.Out.WriteLine($"Tagged {tagged.Reference} ({tagged.ManifestDigest})", Style.Plain);
            return ExitCodes.Success;
        }));
    }
}
