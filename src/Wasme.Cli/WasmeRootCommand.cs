using System.CommandLine;
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
        root.Subcommands.Add(new Commands.Cache.CacheCommand(context));
        root.Subcommands.Add(new Commands.Istio.DeployCommand(context));
        root.Subcommands.Add(new ExitCodesCommand(context));
        root.Subcommands.Add(new Commands.Authoring.InitCommand(context));
        root.Subcommands.Add(new Commands.Images.InspectCommand(context));
        root.Subcommands.Add(new Commands.Images.ListCommand(context));
        root.Subcommands.Add(new Commands.Images.LoginCommand(context));
        root.Subcommands.Add(new Commands.Images.LogoutCommand(context));
        root.Subcommands.Add(new Commands.Operator.OperatorCommand(context));
        root.Subcommands.Add(new Commands.Images.PullCommand(context));
        root.Subcommands.Add(new Commands.Images.PushCommand(context));
        root.Subcommands.Add(new Commands.Istio.RenderCommand(context));
        root.Subcommands.Add(new Commands.Images.RemoveImageCommand(context));
        root.Subcommands.Add(new Commands.Run.RunCommand(context));
        root.Subcommands.Add(new Commands.Images.TagCommand(context));
        root.Subcommands.Add(new Commands.Istio.UndeployCommand(context));

        return root;
    }
}
