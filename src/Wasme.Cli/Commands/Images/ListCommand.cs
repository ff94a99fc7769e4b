using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Wasme.Oci.Formats;

namespace Wasme.Cli.Commands.Images;

/// <summary><c>wasme list [--remote REGISTRY[/REPO]] [--output table|json]</c>.</summary>
internal sealed class ListCommand : Command
{
    public ListCommand(CliContext context)
        : base("list", "List images in the local store, or repositories and tags in a registry with --remote.")
    {
        Aliases.Add("ls");
        var remote = new Option<string?>("--remote")
        {
            Description = "List a registry instead: REGISTRY lists repositories and their tags, REGISTRY/REPO the tags of one repository.",
        };
        var output = new Option<string>("--output", "-o")
        {
            Description = "table or json.",
            DefaultValueFactory = _ => "table",
        };
        output.AcceptOnlyFromAmong("table", "json");
        var options = new RegistryOptions();
        Options.Add(remote);
        Options.Add(output);
        options.AddStoreTo(this);
        options.AddRegistryTo(this);

        SetAction((parseResult, cancellationToken) => ImageErrors.RunAsync(context, async () =>
        {
            var items = parseResult.GetValue(remote) is { } target
                ? await ListRemoteAsync(options, context, parseResult, target, cancellationToken)
                : await ListLocalAsync(options, context, parseResult, cancellationToken);
            if (parseResult.GetValue(output) == "json")
            {
                context.Out.WriteLine(JsonSerializer.Serialize(items, ImagesJsonContext.Default.IReadOnlyListImageListItem), Style.Plain);
                return ExitCodes.Success;
            }

            var table = new Table { Border = TableBorder.None }.AddColumns("NAME", "TAG", "SIZE", "DIGEST", "UPDATED");
            foreach (var item in items)
            {
                table.AddRow(
                    Markup.Escape(item.Name),
                    Markup.Escape(item.Tag ?? "<none>"),
                    item.Size is { } size ? Sizes.Format(size) : string.Empty,
                    Markup.Escape(item.Digest.Length > 0 ? TransferReporter.Short(item.Digest) : string.Empty),
                    item.Updated?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? string.Empty);
            }

            context.Out.Write(table);
            return ExitCodes.Success;
        }));
    }

    private static async Task<IReadOnlyList<ImageListItem>> ListLocalAsync(RegistryOptions options, CliContext context, ParseResult parseResult, CancellationToken cancellationToken)
    {
        var store = options.OpenStore(context, parseResult);
        var images = await store.ListAsync(
            (name, error) => context.Error.MarkupLineInterpolated($"[yellow]warning:[/] {name} is not listed: {error.Message}"),
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

    private static async Task<IReadOnlyList<ImageListItem>> ListRemoteAsync(RegistryOptions options, CliContext context, ParseResult parseResult, string target, CancellationToken cancellationToken)
    {
        var slash = target.IndexOf('/', StringComparison.Ordinal);
        var registry = slash < 0 ? target : target[..slash];
        using var client = options.CreateClient(context, parseResult);
        IReadOnlyList<string> repositories = slash < 0
            ? await client.ListRepositoriesAsync(registry, cancellationToken)
            : [target[(slash + 1)..]];
        var items = new List<ImageListItem>();
        foreach (var repository in repositories.Order(StringComparer.Ordinal))
        {
            foreach (var tag in (await client.ListTagsAsync(registry, repository, cancellationToken)).Order(StringComparer.Ordinal))
            {
                items.Add(new ImageListItem($"{registry}/{repository}", tag, string.Empty, null, null, null, null));
            }
        }

        return items;
    }
}
