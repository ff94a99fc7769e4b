using System.Runtime.InteropServices;
using Wasme.Testing.Kubernetes.Hosting;

// Ctrl+C and `kill` both stop the server cleanly.
using var stop = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
return await StandaloneHost.RunAsync(args, Console.Out, Console.Error, started: null, stop.Token);
