using System.Runtime.CompilerServices;
using Cake.Core;
using Orchestrator.Hosting;
using Orchestrator.Recipes;

namespace Orchestrator.Cake;

/// <summary>The recipes a Cake script declares inline, one book per Cake context.</summary>
internal static class CakeRecipeBooks
{
    private static readonly ConditionalWeakTable<ICakeContext, RecipeBook> s_books = [];

    /// <summary>
    /// The context's book: relative paths resolve against Cake's working directory (the script's folder unless
    /// <c>--working</c> says otherwise); <c>Arg("NAME")</c> reads Cake's argument <c>--NAME=VALUE</c>, then the environment.
    /// </summary>
    public static RecipeBook For(ICakeContext context) =>
        s_books.GetValue(context, c => new RecipeBook(c.Environment.WorkingDirectory.FullPath, Arguments(c))
        {
            BaseImageEnvironment = BuildHost.BaseImageEnvironment(new BuildSettings()),
        });

    /// <summary>
    /// Where an alias was called, for recipe errors. Cake compiles scripts without line information, so errors name the
    /// script only: the <c>.cake</c> file on Cake's command line (default <c>build.cake</c>), in its working directory.
    /// </summary>
    public static string ScriptFile(ICakeContext context)
    {
        var given = Environment.GetCommandLineArgs().Skip(1).FirstOrDefault(a => !a.StartsWith('-') && a.EndsWith(".cake", StringComparison.OrdinalIgnoreCase));
        return Path.Combine(context.Environment.WorkingDirectory.FullPath, Path.GetFileName(given ?? "build.cake"));
    }

    private static Dictionary<string, string> Arguments(ICakeContext context) =>
        context.Arguments.GetArguments()
            .Where(a => a.Value.Count > 0)
            .ToDictionary(a => a.Key, a => a.Value.Last(), StringComparer.OrdinalIgnoreCase);
}
