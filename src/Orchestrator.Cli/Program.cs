using Orchestrator.Cli;

RootlessNamespace.EnterIfPossible(args);
return await CliApp.RunAsync(args, Console.Out, Console.Error);
