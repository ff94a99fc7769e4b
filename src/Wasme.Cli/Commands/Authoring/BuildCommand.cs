using System.CommandLine;
using Wasme.Build;

namespace Wasme.Cli.Commands.Authoring;

/// <summary><c>wasme build LANGUAGE DIR -t REF</c> and <c>wasme build precompiled FILE -t REF --config FILE</c>.</summary>
internal sealed class BuildCommand : Command
{
    public BuildCommand(CliContext context)
        : base("build", "Compile a filter with the local toolchain, validate it and store it as an image in the local store.")
    {
        foreach (var language in FilterLanguages.All)
        {
            Subcommands.Add(new BuildSourceCommand(context, language));
        }

        Subcommands.Add(new BuildPrecompiledCommand(context));
    }
}
