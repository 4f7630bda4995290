using System.Reflection;
using System.Runtime.Loader;

namespace Orchestrator.Tests.Scripting;

/// <summary>
/// A second, private copy of the engine and everything next to it (the compiler included), loaded from the
/// test's output folder. Whatever the engine loads on its own shows up in <see cref="AssemblyLoadContext.Assemblies"/>,
/// which lets a test see which assemblies a code path needs as if it ran in a fresh process.
/// </summary>
internal sealed class IsolatedEngineContext() : AssemblyLoadContext("isolated engine")
{
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var candidate = Path.Combine(AppContext.BaseDirectory, assemblyName.Name + ".dll");
        return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
    }

    public IReadOnlyList<string> LoadedNames => Assemblies.Select(a => a.GetName().Name ?? "").ToList();

    /// <summary>Runs <c>ScriptHost.EvaluateAsync</c> from this context's copy of the engine; returns whether the script came from the cache.</summary>
    public async Task<bool> EvaluateAsync(string scriptPath, string cacheDirectory)
    {
        var scripting = LoadFromAssemblyName(new AssemblyName("Orchestrator.Scripting"));
        var hostType = scripting.GetType("Orchestrator.Scripting.ScriptHost", throwOnError: true)!;
        var optionsType = scripting.GetType("Orchestrator.Scripting.ScriptHostOptions", throwOnError: true)!;
        var options = Activator.CreateInstance(optionsType)!;
        optionsType.GetProperty("CacheDirectory")!.SetValue(options, cacheDirectory);
        var host = Activator.CreateInstance(hostType)!;

        var task = (Task)hostType.GetMethod("EvaluateAsync")!.Invoke(host, [scriptPath, options, CancellationToken.None])!;
        await task;
        var evaluation = task.GetType().GetProperty("Result")!.GetValue(task)!;
        return (bool)evaluation.GetType().GetProperty("FromCache")!.GetValue(evaluation)!;
    }
}
