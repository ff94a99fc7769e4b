using Wasme.Build.Validation;
using Wasme.Oci;

namespace Wasme.Build;

/// <summary>A validated module and the runtime config to store with it.</summary>
public sealed record CompiledFilter(ReadOnlyMemory<byte> Module, ValidatedModule Validation)
{
    public RuntimeConfig Config => Validation.Config;
}
