using System.CommandLine;
using Spectre.Console;
using Wasme.Build;
using Wasme.Build.Templates;

namespace Wasme.Cli.Commands.Authoring;

/// <summary><c>wasme init DIR --language L</c>: writes an add-header filter project to start from.</summary>
internal sealed class InitCommand : Command
{
    private const string AnyPlatform = "any (no platform check)";

    public InitCommand(CliContext context)
        : base("init", "Create a new Proxy-Wasm filter project (an add-header filter) in a directory.")
    {
        var directory = new Argument<string>("DIR") { Description = "Directory to create; must be empty or absent." };
        var language = new Option<string?>("--language", "-l")
        {
            Description = "Source language: assemblyscript, rust, tinygo or cpp. Prompted for on a terminal.",
        };
        language.AcceptOnlyFromAmong([.. FilterLanguages.All.Select(FilterLanguages.Name)]);
        var platform = new Option<string?>("--platform") { Description = "Where the filter will run: istio or envoy (checks ABI compatibility)." };
        platform.AcceptOnlyFromAmong([.. PlatformTarget.Names]);
        var platformVersion = new Option<string?>("--platform-version") { Description = "Version of --platform, e.g. 1.20 or 1.20.x." };
        var force = new Option<bool>("--force") { Description = "Write the template files into a non-empty directory, replacing files of the same name." };
        Arguments.Add(directory);
        Options.Add(language);
        Options.Add(platform);
        Options.Add(platformVersion);
        Options.Add(force);

        SetAction(async (parseResult, cancellationToken) =>
        {
            var languageName = parseResult.GetValue(language);
            if (languageName is null)
            {
                if (!context.IsInteractive)
                {
                    return AuthoringErrors.Usage(context, "--language is required when not on a terminal: --language assemblyscript|rust|tinygo|cpp");
                }

                languageName = await context.Out.PromptAsync(
                    new SelectionPrompt<string>()
                        .Title("Which language will the filter be written in?")
                        .AddChoices(FilterLanguages.All.Select(FilterLanguages.Name)),
                    cancellationToken);
            }

            if (!FilterLanguages.TryParse(languageName, out var filterLanguage))
            {
                return AuthoringErrors.Usage(context, $"unknown language '{languageName}'; choose assemblyscript, rust, tinygo or cpp");
            }

            var platformName = parseResult.GetValue(platform);
            var version = parseResult.GetValue(platformVersion);
            if (platformName is null && version is not null)
            {
                return AuthoringErrors.Usage(context, "--platform-version needs --platform (istio or envoy)");
            }

            if (platformName is null && context.IsInteractive)
            {
                var choice = await context.Out.PromptAsync(
                    new SelectionPrompt<string>().Title("Which platform will run it?").AddChoices([.. PlatformTarget.Names, AnyPlatform]),
                    cancellationToken);
                if (choice != AnyPlatform)
                {
                    platformName = choice;
                    version = await context.Out.PromptAsync(new TextPrompt<string>($"{choice} version (e.g. 1.20):"), cancellationToken);
                }
            }

            PlatformTarget? target = null;
            if (platformName is not null && !PlatformTarget.TryParse(platformName, version, out target, out var platformError))
            {
                return AuthoringErrors.Usage(context, platformError);
            }

            var template = FilterTemplates.For(filterLanguage);
            var path = Path.GetFullPath(parseResult.GetValue(directory)!);
            try
            {
                var files = await TemplateWriter.WriteAsync(template, path, parseResult.GetValue(force), cancellationToken);
                context.Out.MarkupLineInterpolated($"Created {FilterLanguages.Name(filterLanguage)} filter project [bold]{path}[/] ({files.Count} files)");
                context.Out.MarkupLineInterpolated($"  SDK: {template.Sdk}; ABI {template.AbiVersion}; root id {template.RootId}");
                if (target is not null)
                {
                    context.Out.MarkupLineInterpolated($"  Compatible with {target.Display}.");
                }

                context.Out.MarkupLineInterpolated(
                    $"Next: [bold]wasme build {FilterLanguages.Name(filterLanguage)} {path} -t my-filter:v1[/]");
                return ExitCodes.Success;
            }
            catch (Exception ex) when (ex is TemplateTargetNotEmptyException)
            {
                return AuthoringErrors.Report(context, ex);
            }
        });
    }
}
