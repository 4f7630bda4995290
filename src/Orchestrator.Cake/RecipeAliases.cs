using System.Runtime.CompilerServices;
using Cake.Core;
using Cake.Core.Annotations;
using Orchestrator.Recipes;

namespace Orchestrator.Cake;

/// <summary>
/// The recipe DSL of <c>build.csx</c>, callable bare in a <c>.cake</c> script: <c>Image</c>, <c>Stage</c>,
/// <c>Dockerfile</c>, <c>Arg</c>, <c>Target</c>, with the same parameters. <c>OrchestratorBuild(settings)</c>
/// builds what the script declared. No compiler is involved: the recipes are ordinary calls.
/// </summary>
[CakeAliasCategory("Orchestrator")]
[CakeNamespaceImport("Orchestrator.Recipes")]
[CakeNamespaceImport("Orchestrator.Hosting")]
public static class RecipeAliases
{
    /// <summary>An image: a final stage that is built by default and has destinations.</summary>
    [CakeMethodAlias]
    public static RecipeBuilder Image(this ICakeContext context, string name, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        CakeRecipeBooks.For(context).Image(name, Where(context, file), line);

    /// <summary>An intermediate stage: built only when an image or target needs it.</summary>
    [CakeMethodAlias]
    public static RecipeBuilder Stage(this ICakeContext context, string name, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        CakeRecipeBooks.For(context).Stage(name, Where(context, file), line);

    /// <summary>Imports a Dockerfile (relative to Cake's working directory) as an image recipe; its other stages become <c>image/stage</c>.</summary>
    [CakeMethodAlias]
    public static RecipeBuilder Dockerfile(this ICakeContext context, string path, string? target = null, string? buildContext = null, string? name = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        CakeRecipeBooks.For(context).Dockerfile(path, target, buildContext, name, Where(context, file), line);

    /// <summary>A build argument: Cake's argument <c>--NAME=VALUE</c>, then the environment variable NAME, then <paramref name="defaultValue"/>.</summary>
    [CakeMethodAlias]
    public static string Arg(this ICakeContext context, string name, string? defaultValue = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        CakeRecipeBooks.For(context).Arg(name, defaultValue, Where(context, file), line);

    /// <summary>A named group of recipes; <c>Targets = { NAME }</c> in the settings builds it.</summary>
    /// <summary>
    /// The script's recipe book, as <c>Book</c> is in a <c>build.csx</c>: the recipe library's short forms
    /// (<c>BusyboxBase()</c>, <c>StaticSite(...)</c>, … from <c>#load "recipes/…csx"</c>) declare their stages in it.
    /// </summary>
    [CakePropertyAlias(Cache = true)]
    public static RecipeBook Book(this ICakeContext context) => CakeRecipeBooks.For(context);

    [CakeMethodAlias]
    public static TargetGroup Target(this ICakeContext context, string name, params RecipeBuilder[] recipes) => CakeRecipeBooks.For(context).Target(name, recipes);

    /// <summary>Cake passes the call site of a script line on to the alias; without it (a call from compiled code), the script file.</summary>
    private static string Where(ICakeContext context, string file) => file.Length > 0 ? file : CakeRecipeBooks.ScriptFile(context);
}
