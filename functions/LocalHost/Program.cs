using EventProcessors.LocalHost.Cli;

return await LocalHostCli.RunAsync(args);
