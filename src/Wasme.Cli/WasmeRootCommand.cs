using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Wasme.Cli.Commands;
using Wasme.Cli.Infrastructure;

namespace Wasme.Cli;

/// <summary>The <c>wasme</c> command tree: every verb, the global options, and help with examples.</summary>
internal sealed class WasmeRootCommand : RootCommand, IDocumentedCommand
{
    private WasmeRootCommand()
        : base("wasme builds, ships and deploys WebAssembly (Proxy-Wasm) filters for Envoy and Istio.")
    {
    }

    public IReadOnlyList<CommandExample> Examples { get; } =
    [
        new("Start a filter project, build it into the local store and push it", "wasme init my-filter --language assemblyscript && wasme build assemblyscript my-filter -t ghcr.io/acme/my-filter:v1 && wasme push ghcr.io/acme/my-filter:v1"),
        new("List the images in the local store, as JSON for a script", "wasme list -o json"),
        new("Show what each exit code means, for scripts", "wasme exit-codes"),
    ];

    public static WasmeRootCommand Create(CliContext context)
    {
        var root = new WasmeRootCommand();

        // One sealed class per verb; each adds itself here. Keep alphabetical.
        root.Subcommands.Add(new Commands.Authoring.BuildCommand(context));
        root.Subcommands.Add(new Commands.Shell.CompletionCommand(context));
#if !WASME_IMAGES_EDITION
        root.Subcommands.Add(new Commands.Cache.CacheCommand(context));
#endif
#if !WASME_IMAGES_EDITION
        root.Subcommands.Add(new Commands.Istio.DeployCommand(context));
#endif
        root.Subcommands.Add(new ExitCodesCommand(context));
        root.Subcommands.Add(new Commands.Signing.GenerateKeyPairCommand(context));
        root.Subcommands.Add(new Commands.Shell.HelpCommand(context));
        root.Subcommands.Add(new Commands.Authoring.InitCommand(context));
        root.Subcommands.Add(new Commands.Images.InspectCommand(context));
        root.Subcommands.Add(new Commands.Images.ListCommand(context));
        root.Subcommands.Add(new Commands.Images.LoginCommand(context));
        root.Subcommands.Add(new Commands.Images.LogoutCommand(context));
#if !WASME_IMAGES_EDITION
        root.Subcommands.Add(new Commands.Operator.OperatorCommand(context));
#endif
        root.Subcommands.Add(new Commands.Images.PullCommand(context));
        root.Subcommands.Add(new Commands.Images.PushCommand(context));
#if !WASME_IMAGES_EDITION
        root.Subcommands.Add(new Commands.Istio.RenderCommand(context));
#endif
        root.Subcommands.Add(new Commands.Images.RemoveImageCommand(context));
#if !WASME_IMAGES_EDITION
        root.Subcommands.Add(new Commands.Run.RunCommand(context));
#endif
        root.Subcommands.Add(new Commands.Signing.SignCommand(context));
        root.Subcommands.Add(new Commands.Images.TagCommand(context));
#if !WASME_IMAGES_EDITION
        root.Subcommands.Add(new Commands.Testing.TestCommand(context));
#endif
#if !WASME_IMAGES_EDITION
        root.Subcommands.Add(new Commands.Istio.UndeployCommand(context));
#endif
        root.Subcommands.Add(new Commands.Signing.VerifyCommand(context));
        root.Subcommands.Add(new VersionCommand(context));

        GlobalOptions.AddTo(root);
        WasmeHelp.Install(root, context);

        // Bare 'wasme' shows what it can do (exit 0), as docker, kubectl and helm do.
        var help = root.Options.OfType<HelpOption>().Single();
        root.SetAction(parseResult => ((SynchronousCommandLineAction)help.Action!).Invoke(parseResult));
        return root;
    }
}
