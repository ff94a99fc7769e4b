using System.Runtime.InteropServices;
using Wasme.Cli;

// Ctrl-C and SIGTERM cancel the command's token; the command stops cleanly and wasme exits 130.
using var cancellation = new CancellationTokenSource();
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
return await WasmeApplication.RunAsync(args, cancellation.Token);

void Stop(PosixSignalContext context)
{
    // Keep the process alive until the command has unwound (temp files removed, store lock released).
    context.Cancel = true;
    cancellation.Cancel();
}
