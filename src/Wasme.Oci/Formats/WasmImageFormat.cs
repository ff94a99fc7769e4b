namespace Wasme.Oci.Formats;

/// <summary>How wasme writes an image.</summary>
public enum WasmImageFormat
{
    /// <summary>The original wasme layout: config also as layer 0, raw module layer. Istio's fetcher accepts it.</summary>
    Wasme,

    /// <summary>Istio's compat variant: one tar+gzip layer holding <c>plugin.wasm</c> and <c>runtime-config.json</c>.</summary>
    Compat,
}
