using Orchestrator.Recipes;

namespace Orchestrator.Scripting;

/// <summary>
/// The globals of a <c>build.csx</c>: the whole recipe DSL (<c>Image</c>, <c>Stage</c>, <c>Arg</c>, ...)
/// is callable bare. Relative paths in recipes resolve against the root script's folder.
/// </summary>
public class BuildScriptGlobals : RecipeBook
{
    /// <param name="scriptPath">The root script; its folder becomes <see cref="RecipeBook.BaseDirectory"/>.</param>
    /// <param name="buildArgs">Values given with <c>--build-arg NAME=VALUE</c>.</param>
    /// <param name="environment">Environment lookup for <c>Arg</c>; defaults to the process environment.</param>
    public BuildScriptGlobals(string scriptPath, IReadOnlyDictionary<string, string>? buildArgs = null, Func<string, string?>? environment = null)
        : base(Path.GetDirectoryName(Path.GetFullPath(scriptPath)), buildArgs, environment)
    {
        ScriptPath = Path.GetFullPath(scriptPath);
    }

    /// <summary>
    /// The script's recipe book itself, for the static methods of recipe libraries that also compile as plain C#
    /// (<c>NodeRecipes.NodeApp(Book, "web", "services/web")</c>; see docs/recipes.md, "The recipe library").
    /// </summary>
    public RecipeBook Book => this;

    /// <summary>Full path of the root script being evaluated.</summary>
    public string ScriptPath { get; }
}
