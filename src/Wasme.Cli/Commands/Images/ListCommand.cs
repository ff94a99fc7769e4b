using System.CommandLine;
using Spectre.Console;
using Wasme.Cli.Infrastructure;
using Wasme.Oci.Formats;
using Wasme.Oci.References;

namespace Wasme.Cli.Commands.Images;

/// <summary><c>wasme list [--remote REGISTRY[/REPO]] [-o text|json|yaml]</c>.</summary>
internal sealed class ListCommand : WasmeCommand
{
    private readonly Option<string?> _remote = new("--remote")
    {
        Description = "List a registry instead: REGISTRY lists repositories and their tags, REGISTRY/REPO the tags of one repository.",
    };

    private readonly RegistryOptions _options = new();
    private readonly EnumOption<OutputFormat> _output;

    public ListCommand(CliContext context)
        : base(context, "list", "List images in the local store, or repositories and tags in a registry with --remote.")
    {
        Aliases.Add("ls");
        Options.Add(_remote);
        _output = AddOutputOption();
        _options.AddStoreTo(this);
        _options.AddRegistryTo(this);
        Example("List the local store", "wasme list");
        Example("List the tags of one repository in a registry, as JSON", "wasme list --remote ghcr.io/acme/add-header -o json");
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var remote = parseResult.GetValue(_remote);
        var items = remote is not null
            ? await ListRemoteAsync(parseResult, remote, cancellationToken)
            : await ListLocalAsync(parseResult, cancellationToken);
        var format = _output.ValueOf(parseResult);
        if (format.IsData())
        {
            DataOutput.Write(Context, format, items, ImagesJsonContext.Output.IReadOnlyListImageListItem);
            return ExitCodes.Success;
        }

        // A registry's tag list names tags only; size, digest and date would cost a request or more per tag, so
        // remote rows show what the registry said ('wasme inspect --remote REF' gives the rest for one image).
        var table = new Table { Border = TableBorder.None };
        table.AddColumns(remote is null ? ["NAME", "TAG", "SIZE", "DIGEST", "UPDATED"] : ["NAME", "TAG"]);
        foreach (var item in items)
        {
            // A registry's tag list is anyone's text: its control characters (escape sequences) must not reach the terminal.
            var name = Markup.Escape(InspectCommand.Printable(item.Name));
            var tag = Markup.Escape(InspectCommand.Printable(item.Tag ?? "<none>"));
            if (remote is not null)
            {
                table.AddRow(name, tag);
                continue;
            }

            table.AddRow(
                name,
                tag,
                item.Size is { } size ? Sizes.Format(size) : string.Empty,
                Markup.Escape(item.Digest is { } digest ? TransferReporter.Short(digest) : string.Empty),
                item.Updated is { } updated ? Timestamps.ToText(updated) : string.Empty);
        }

        Context.Out.Write(table);
        return ExitCodes.Success;
    }

    private async Task<IReadOnlyList<ImageListItem>> ListLocalAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var store = _options.OpenStore(Context, parseResult);
        var images = await store.ListAsync(
            (name, error) => Context.Error.MarkupLineInterpolated($"[yellow]warning:[/] {name} is not listed: {error.Message}"),
            cancellationToken);
        return [.. images.Select(i => new ImageListItem(
            i.Reference.Name,
            i.Reference.Tag,
            i.ManifestDigest.ToString(),
            i.ModuleSize,
            i.ModuleDigest.ToString(),
            i.Layout.ToDisplayName(),
            i.Updated))];
    }

    private async Task<IReadOnlyList<ImageListItem>> ListRemoteAsync(ParseResult parseResult, string target, CancellationToken cancellationToken)
    {
        var slash = target.IndexOf('/', StringComparison.Ordinal);
        var registry = slash < 0 ? target : target[..slash];

        // Checked before a client is made: an empty value or a port past 65535 made an invalid URI, reported as a bug.
        var problem = ImageReference.RegistryError(registry)
            ?? (slash >= 0 && !ImageReference.TryParse($"{target}:latest", out _, out var error) ? error : null);
        if (problem is not null)
        {
            throw CommandException.Usage($"--remote '{target}': {problem.TrimEnd('.')}; give REGISTRY or REGISTRY/REPOSITORY, e.g. ghcr.io/acme/add-header");
        }
        using var client = _options.CreateClient(Context, parseResult);
        IReadOnlyList<string> repositories = slash < 0
            ? await client.ListRepositoriesAsync(registry, cancellationToken)
            : [target[(slash + 1)..]];
        var items = new List<ImageListItem>();
        foreach (var repository in repositories.Order(StringComparer.Ordinal))
        {
            foreach (var tag in (await client.ListTagsAsync(registry, repository, cancellationToken)).Order(StringComparer.Ordinal))
            {
                items.Add(new ImageListItem($"{registry}/{repository}", tag, null, null, null, null, null));
            }
        }

        return items;
    }
}
