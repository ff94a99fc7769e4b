using Wasme.Oci.Store;

namespace Wasme.Build;

/// <summary>What <see cref="FilterBuilder"/> stored.</summary>
public sealed record FilterBuildResult(CompiledFilter Filter, StoredImage Image);
