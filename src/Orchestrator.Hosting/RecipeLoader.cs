using Orchestrator.Recipes;

namespace Orchestrator.Hosting;

/// <summary>Produces the recipes of a build: evaluates the build script (<see cref="ScriptRecipes"/>, <see cref="IsolatedScriptHost"/>), or imports a Dockerfile.</summary>
public delegate Task<RecipeBook> RecipeLoader(BuildSettings settings, CancellationToken cancellationToken);
