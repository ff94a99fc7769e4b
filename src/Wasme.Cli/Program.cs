using Wasme.Cli;

return await WasmeApplication.RunAsync(args, CancellationToken.None);
