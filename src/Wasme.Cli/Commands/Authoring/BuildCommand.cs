using Wasme.Build;
using Wasme.Cli.Infrastructure;

namespace Wasme.Cli.Commands.Authoring;

/// <summary><c>wasme build LANGUAGE DIR -t REF</c> and <c>wasme build precompiled FILE -t REF --config FILE</c>.</summary>
internal sealed class BuildCommand : WasmeCommandGroup
{
    public BuildCommand(CliContext context)
        : base("build", "Compile a filter with the local toolchain, validate it and store it as an image in the local store.")
    {
        foreach (var language in FilterLanguages.All)
        {
            Subcommands.Add(new BuildSourceCommand(context, language));
        }

        Subcommands.Add(new BuildPrecompiledCommand(context));
        Example("Build the AssemblyScript project in ./my-filter into the local store", "wasme build assemblyscript ./my-filter -t my-filter:v1");
        Example("Store a module built elsewhere", "wasme build precompiled filter.wasm -t my-filter:v1 --config runtime-config.json");
    }
}
