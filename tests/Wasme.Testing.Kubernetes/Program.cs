using Wasme.Testing.Kubernetes.Hosting;

return await StandaloneHost.RunAsync(args);
