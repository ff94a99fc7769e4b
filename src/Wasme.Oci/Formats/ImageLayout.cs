namespace Wasme.Oci.Formats;

/// <summary>Which of the known Wasm image layouts an image uses (reported by pull and inspect).</summary>
public enum ImageLayout
{
    /// <summary>wasme's original OCI layout (config <c>application/vnd.module.wasm.config.v1+json</c>, raw module layer).</summary>
    Wasme,

    /// <summary>Compat variant with an OCI tar+gzip layer holding <c>plugin.wasm</c>.</summary>
    CompatOci,

    /// <summary>Compat variant in a Docker schema 2 manifest (docker/buildah built).</summary>
    CompatDocker,

    /// <summary>wasm-to-oci: one <c>application/vnd.wasm.content.layer.v1+wasm</c> layer.</summary>
    WasmToOci,

    /// <summary>CNCF Wasm OCI artifact: one <c>application/wasm</c> layer.</summary>
    CncfWasm,
}

public static class ImageLayoutNames
{
    public static string ToDisplayName(this ImageLayout layout) => layout switch
    {
        ImageLayout.Wasme => "wasme",
        ImageLayout.CompatOci => "compat",
        ImageLayout.CompatDocker => "compat-docker",
        ImageLayout.WasmToOci => "wasm-to-oci",
        ImageLayout.CncfWasm => "cncf-wasm",
        _ => layout.ToString(),
    };

    public static bool TryParse(string? name, out ImageLayout layout)
    {
        foreach (var candidate in Enum.GetValues<ImageLayout>())
        {
            if (candidate.ToDisplayName() == name)
            {
                layout = candidate;
                return true;
            }
        }

        layout = default;
        return false;
    }
}
