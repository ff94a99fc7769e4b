using System.CommandLine;

namespace Wasme.Cli.Infrastructure;

/// <summary>
/// Base of every wasme verb: the subclass declares its options and examples, binds them in <see cref="ExecuteAsync"/>
/// and calls a service. Failures are thrown, not printed: <see cref="CommandFailures"/> turns them into one message and
/// the documented exit code, so every command reports the same failure the same way.
/// </summary>
internal abstract class WasmeCommand : Command, IDocumentedCommand
{
    private readonly List<CommandExample> _examples = [];

    protected WasmeCommand(CliContext context, string name, string description)
        : base(name, description)
    {
        Context = context;
        SetAction((parseResult, cancellationToken) => InvokeAsync(parseResult, cancellationToken));
    }

    public IReadOnlyList<CommandExample> Examples => _examples;

    public HelpSection? Details { get; private set; }

    protected CliContext Context { get; }

    /// <summary>Runs the command; returns its exit code, or throws for <see cref="CommandFailures"/> to report.</summary>
    protected abstract Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken);

    /// <summary>Adds an example to the command's help: what it does, then the command line.</summary>
    protected void Example(string what, string commandLine) => _examples.Add(new CommandExample(what, commandLine));

    /// <summary>A section of the command's help before its examples, for what options cannot say (a file format).</summary>
    protected void Detail(string title, string text) => Details = new HelpSection(title, text);

    /// <summary>The <c>-o</c> option of a command that prints data, with its default and the formats it offers.</summary>
    protected EnumOption<OutputFormat> AddOutputOption(OutputFormat defaultFormat = OutputFormat.Text)
    {
        var option = OutputFormats.CreateOption(defaultFormat);
        Options.Add(option);
        return option;
    }

    private async Task<int> InvokeAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        try
        {
            return await ExecuteAsync(parseResult, cancellationToken);
        }
        catch (Exception exception)
        {
            return CommandFailures.Report(Context, GlobalOptions.GetVerbosity(parseResult), exception, cancellationToken);
        }
    }
}

/// <summary>A command that only groups subcommands (<c>wasme build</c>, <c>wasme deploy</c>): help and examples, no action.</summary>
internal abstract class WasmeCommandGroup(string name, string description) : Command(name, description), IDocumentedCommand
{
    private readonly List<CommandExample> _examples = [];

    public IReadOnlyList<CommandExample> Examples => _examples;

    protected void Example(string what, string commandLine) => _examples.Add(new CommandExample(what, commandLine));
}

/// <summary>A command whose help ends with examples.</summary>
internal interface IDocumentedCommand
{
    IReadOnlyList<CommandExample> Examples { get; }

    HelpSection? Details => null;
}

/// <summary>A titled section of a command's help, printed before its examples.</summary>
internal sealed record HelpSection(string Title, string Text);

/// <summary>One example in a command's help: a comment line saying what it does, then the command line.</summary>
internal sealed record CommandExample(string What, string CommandLine);
