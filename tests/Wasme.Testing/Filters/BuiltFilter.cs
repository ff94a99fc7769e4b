using Wasme.Oci;

namespace Wasme.Testing.Filters;

/// <summary>A filter module built from AssemblyScript source by the product's build pipeline.</summary>
/// <param name="ModulePath">A file holding the module (shared: do not modify or delete it).</param>
/// <param name="Module">The module bytes.</param>
/// <param name="Config">The runtime config it was validated against (ABI version and root ids).</param>
public sealed record BuiltFilter(string ModulePath, byte[] Module, RuntimeConfig Config);
