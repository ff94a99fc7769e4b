using Wasme.Oci.References;

namespace Wasme.Oci.Transfer;

/// <summary>Progress of one blob during a pull or push.</summary>
public sealed record TransferProgress(Digest Digest, string MediaType, long Transferred, long Total, TransferState State);

public enum TransferState
{
    Started,
    InProgress,
    Done,
    Skipped,
    Mounted,
}
