using System.Reflection;
using System.Runtime.Loader;
using Orchestrator.Recipes;

namespace Orchestrator.Hosting;

/// <summary>
/// Evaluates build scripts with our script host and its compiler loaded into a load context of their own, for
/// processes that already carry another version of the compiler (Cake's runner has Microsoft.CodeAnalysis 5.9, our
/// host needs 5.12). The engine assemblies stay shared, so the recipes come back as this process's own
/// <see cref="RecipeBook"/>; nothing of the compiler crosses over.
/// </summary>
public static class IsolatedScriptHost
{
    private static readonly Lazy<ScriptEvaluator> s_evaluate = new(Bind);

    /// <summary>A <see cref="RecipeLoader"/>: the recipes of the script at <see cref="BuildSettings.ScriptPath"/>.</summary>
    public static Task<RecipeBook> LoadAsync(BuildSettings settings, CancellationToken cancellationToken) =>
        ScriptRecipes.LoadAsync(settings, s_evaluate.Value, cancellationToken);

    /// <summary>The load context the script host runs in (for diagnostics and tests).</summary>
    public static AssemblyLoadContext LoadContext => ScriptHostLoadContext.Instance;

    private static ScriptEvaluator Bind()
    {
        var scripting = ScriptHostLoadContext.Instance.LoadFromAssemblyName(new AssemblyName(ScriptHostLoadContext.ScriptingAssembly));
        var method = scripting.GetType("Orchestrator.Scripting.ScriptEntryPoint")?.GetMethod("EvaluateAsync", BindingFlags.Public | BindingFlags.Static)
            ?? throw new OrchestratorException($"{scripting.Location} has no Orchestrator.Scripting.ScriptEntryPoint.EvaluateAsync; the addin's files come from different versions, reinstall it");
        return method.CreateDelegate<ScriptEvaluator>();
    }

    /// <summary>
    /// Loads the script host and everything beside it (the compiler) from the folder of this assembly, except the
    /// engine, whose types the caller shares.
    /// </summary>
    private sealed class ScriptHostLoadContext : AssemblyLoadContext
    {
        public const string ScriptingAssembly = "Orchestrator.Scripting";

        public static ScriptHostLoadContext Instance { get; } = new();

        private readonly string _folder = Path.GetDirectoryName(typeof(IsolatedScriptHost).Assembly.Location)
            ?? throw new InvalidOperationException("Orchestrator.Hosting was loaded without a file; the isolated script host needs the addin's folder");

        private readonly Dictionary<string, Assembly> _shared = new[]
        {
            typeof(OrchestratorException).Assembly,
            typeof(RecipeBook).Assembly,
            typeof(IsolatedScriptHost).Assembly,
        }.ToDictionary(a => a.GetName().Name!, StringComparer.OrdinalIgnoreCase);

        private ScriptHostLoadContext()
            : base("orchestrator script host")
        {
        }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            var name = assemblyName.Name ?? "";
            if (_shared.TryGetValue(name, out var shared)) return shared;
            var path = Path.Combine(_folder, name + ".dll");
            // Framework assemblies are not in the folder: they come from the default context, like the engine's.
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }
    }
}
