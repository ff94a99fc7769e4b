namespace Wasme.ProxyWasm.Vm;

/// <summary>What is known of a header string read from the guest; <see cref="Unchecked"/> means nothing is.</summary>
[Flags]
internal enum HeaderText
{
    Unchecked = 0,

    /// <summary>Not empty, and holds no CR, LF or NUL: <see cref="HostFunctions.HeaderValidation"/> would allow it.</summary>
    Allowed = 1,

    /// <summary>No upper-case letter: as a header name it is its own lower case.</summary>
    LowerCase = 2,
}
