using System.CommandLine;
using Wasme.Cli.Infrastructure;

namespace Wasme.Cli.Commands.Authoring;

/// <summary>Options every <c>wasme build</c> subcommand takes.</summary>
internal sealed class BuildOptions
{
    public Option<string> Tag { get; } = new("--tag", "-t")
    {
        Description = "Image reference to store the filter under, e.g. my-filter:v1 or registry.example.com/team/filter:v1.",
        Required = true,
    };

    public Option<string?> Store { get; } = new("--store")
    {
        Description = "Local image store directory (default: $WASME_STORE, else ~/.wasme/store).",
    };

    /// <summary><c>-o json|yaml</c>: what <c>wasme inspect -o json</c> shows for the stored image, for scripts that need its digests.</summary>
    public EnumOption<OutputFormat> Output { get; } = OutputFormats.CreateOption(OutputFormat.Text);

    public void AddTo(Command command)
    {
        command.Options.Add(Tag);
        command.Options.Add(Store);
        command.Options.Add(Output);
    }
}
