using System.CommandLine;
using Spectre.Console;
using Wasme.Cli.Infrastructure;
using Wasme.Oci.References;

namespace Wasme.Cli.Commands.Images;

/// <summary><c>wasme rmi REF...</c>: remove tags from the store; blobs no tag uses are deleted.</summary>
internal sealed class RemoveImageCommand : WasmeCommand
{
    private readonly Argument<string[]> _references = new("REF") { Description = "Stored images (tag or digest).", Arity = ArgumentArity.OneOrMore };
    private readonly RegistryOptions _options = new();

    public RemoveImageCommand(CliContext context)
        : base(context, "rmi", "Remove images from the local store. Blobs still used by another tag are kept.")
    {
        Arguments.Add(_references);
        _options.AddStoreTo(this);
        Example("Remove two tags from the local store", "wasme rmi my-filter:v1 my-filter:v2");
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var store = _options.OpenStore(Context, parseResult);
        // Parse all first: a typo in the third name must not leave the first two removed.
        var parsed = parseResult.GetValue(_references)!.Select(ImageReference.Parse).ToList();
        foreach (var reference in parsed)
        {
            var removed = await store.RemoveAsync(reference, cancellationToken);
            Context.Out.WriteLine($"Removed {reference} ({removed})", Style.Plain);
        }

        return ExitCodes.Success;
    }
}
