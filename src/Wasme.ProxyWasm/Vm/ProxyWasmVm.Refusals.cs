namespace Wasme.ProxyWasm.Vm;

/// <summary>Host bounds a guest can run into on the data path; each is warned about once per VM, not once per call.</summary>
[Flags]
internal enum GuestRefusals
{
    None = 0,
    BufferLimit = 1,
    PropertyLimit = 2,
    LogTruncated = 4,
    HeaderLimit = 8,
}

internal sealed partial class ProxyWasmVm
{
    private GuestRefusals _refusals;

    /// <summary>True the first time this VM runs into <paramref name="refusal"/>: the warning is logged once, not per call.</summary>
    public bool FirstRefusal(GuestRefusals refusal)
    {
        var first = (_refusals & refusal) == 0;
        _refusals |= refusal;
        return first;
    }
}
