using System.CommandLine;
using Spectre.Console;
using Wasme.Build;
using Wasme.Build.Templates;
using Wasme.Cli.Infrastructure;

namespace Wasme.Cli.Commands.Authoring;

/// <summary><c>wasme init DIR --language L</c>: writes an add-header filter project to start from.</summary>
internal sealed class InitCommand : WasmeCommand
{
    private const string AnyPlatform = "any (no platform check)";

    private readonly Argument<string> _directory = new("DIR") { Description = "Directory to create; must be empty or absent." };
    private readonly EnumOption<FilterLanguage> _language = new(
        "--language",
        [],
        [.. FilterLanguages.All.Select(l => (FilterLanguages.Name(l), l))],
        "Source language. Prompted for on a terminal.");

    private readonly Option<string?> _platform = new("--platform") { Description = "Where the filter will run: istio or envoy (checks ABI compatibility)." };
    private readonly Option<string?> _platformVersion = new("--platform-version") { Description = "Version of --platform, e.g. 1.20 or 1.20.x." };
    private readonly Option<bool> _force = new("--force") { Description = "Write the template files into a non-empty directory, replacing files of the same name." };

    public InitCommand(CliContext context)
        : base(context, "init", "Create a new Proxy-Wasm filter project (an add-header filter) in a directory.")
    {
        _platform.AcceptOnlyFromAmong([.. PlatformTarget.Names]);
        Arguments.Add(_directory);
        Options.Add(_language);
        Options.Add(_platform);
        Options.Add(_platformVersion);
        Options.Add(_force);
        Example("Start an AssemblyScript filter checked against Istio 1.20", "wasme init my-filter --language assemblyscript --platform istio --platform-version 1.20");
        Example("Start a Rust filter, then build it", "wasme init my-filter --language rust && wasme build rust my-filter -t my-filter:v1");
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var context = Context;
        var path = PathArguments.Full(parseResult.GetValue(_directory), "DIR", "./my-filter");
        var force = parseResult.GetValue(_force);

        // Before any question: answers given for a directory init then refuses are answers wasted.
        TemplateWriter.EnsureUsable(path, force);
        FilterLanguage filterLanguage;
        if (_language.Find(parseResult) is { } given)
        {
            filterLanguage = given;
        }
        else
        {
            if (!context.IsInteractive)
            {
                throw CommandException.Usage("--language is required when not on a terminal: --language assemblyscript|rust|tinygo|cpp");
            }

            var languageName = await context.Out.PromptAsync(
                new SelectionPrompt<string>()
                    .Title("Which language will the filter be written in?")
                    .AddChoices(FilterLanguages.All.Select(FilterLanguages.Name)),
                cancellationToken);
            if (!FilterLanguages.TryParse(languageName, out filterLanguage))
            {
                throw CommandException.Usage($"unknown language '{languageName}'; choose assemblyscript, rust, tinygo or cpp");
            }
        }

        var platformName = parseResult.GetValue(_platform);
        var version = parseResult.GetValue(_platformVersion);
        if (platformName is null && version is not null)
        {
            throw CommandException.Usage("--platform-version needs --platform (istio or envoy)");
        }

        if (platformName is null && context.IsInteractive)
        {
            var choice = await context.Out.PromptAsync(
                new SelectionPrompt<string>().Title("Which platform will run it?").AddChoices([.. PlatformTarget.Names, AnyPlatform]),
                cancellationToken);
            if (choice != AnyPlatform)
            {
                platformName = choice;
                var platform = choice;
                version = await context.Out.PromptAsync(
                    new TextPrompt<string>($"{platform} version (e.g. 1.20):")
                        .Validate(answer => PlatformTarget.TryParse(platform, answer, out _, out var error)
                            ? ValidationResult.Success()
                            : ValidationResult.Error(Markup.Escape(error))),
                    cancellationToken);
            }
        }

        PlatformTarget? target = null;
        if (platformName is not null && !PlatformTarget.TryParse(platformName, version, out target, out var platformError))
        {
            throw CommandException.Usage(platformError);
        }

        var template = FilterTemplates.For(filterLanguage);
        var files = await TemplateWriter.WriteAsync(template, path, force, cancellationToken);
        context.Out.MarkupLineInterpolated($"Created {FilterLanguages.Name(filterLanguage)} filter project [bold]{path}[/] ({files.Count} files)");
        context.Out.MarkupLineInterpolated($"  SDK: {template.Sdk}; ABI {template.AbiVersion}; root id {template.RootId}");
        if (target is not null)
        {
            context.Out.MarkupLineInterpolated($"  Compatible with {target.Display}.");
        }

        context.Out.MarkupLineInterpolated(
            $"Next: [bold]wasme build {FilterLanguages.Name(filterLanguage)} {ShellWord.Quote(path)} -t my-filter:v1[/]");
        return ExitCodes.Success;
    }
}
