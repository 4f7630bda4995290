namespace Orchestrator.Nuke;

/// <summary>Nuke's configurator shape: takes the settings, returns them changed (<c>s =&gt; s.SetScript("build.csx")</c>).</summary>
public delegate T Configure<T>(T settings);
