using System.CommandLine;
using Spectre.Console;
using Wasme.Oci.References;

namespace Wasme.Cli.Commands.Images;

/// <summary><c>wasme rmi REF...</c>: remove tags from the store; blobs no tag uses are deleted.</summary>
internal sealed class RemoveImageCommand : Command
{
    public RemoveImageCommand(CliContext context)
        : base("rmi", "Remove images from the local store. Blobs still used by another tag are kept.")
    {
        var references = new Argument<string[]>("REF") { Description = "Stored images (tag or digest).", Arity = ArgumentArity.OneOrMore };
        var options = new RegistryOptions();
        Arguments.Add(references);
        options.AddStoreTo(this);

        SetAction((parseResult, cancellationToken) => ImageErrors.RunAsync(context, async () =>
        {
            var store = options.OpenStore(context, parseResult);
            // Parse all first: a typo in the third name must not leave the first two removed.
            var parsed = parseResult.GetValue(references)!.Select(ImageReference.Parse).ToList();
            foreach (var reference in parsed)
            {
                var removed = await store.RemoveAsync(reference, cancellationToken);
                context.Out.WriteLine($"Removed {reference} ({removed})", Style.Plain);
            }

            return ExitCodes.Success;
        }));
    }
}
