using System.CommandLine;
using System.CommandLine.Help;
using Wasme.Cli.Commands;

namespace Wasme.Cli;

internal static class WasmeRootCommand
{
    public static RootCommand Create(CliContext context)
    {
        var root = new RootCommand(
            "wasme builds, ships and deploys WebAssembly (Proxy-Wasm) filters for Envoy and Istio.");

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

        // Bare 'wasme' shows what it can do (exit 0), as docker, kubectl and helm do.
        root.SetAction(parseResult => new HelpAction().Invoke(parseResult));
        return root;
    }
}
