using Microsoft.Extensions.Options;

namespace Receiver.Configuration;

/// <summary>
/// How every capability registers its settings: bound from one configuration section and checked when the app starts,
/// so that a bad value stops it with one clear line (see ReceiverApplication) instead of failing the first request.
/// </summary>
public static class ValidatedOptions
{
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions, TValidator>(this IServiceCollection services, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
        return services.AddValidatedOptions<TOptions>(section);
    }

    /// <summary>For settings that need no check beyond their types.</summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services, string section)
        where TOptions : class =>
        services.AddOptions<TOptions>()
            .Configure<IConfiguration>((options, configuration) => Bind(configuration.GetSection(section), options))
            .ValidateOnStart();

    /// <summary>
    /// Binds as <c>BindConfiguration</c> does, except that a value the binder cannot convert ("ten" for a number) is
    /// reported as a failed setting, like any other bad value, rather than as an unexplained exception.
    /// </summary>
    private static void Bind<TOptions>(IConfigurationSection section, TOptions options) where TOptions : class
    {
        try
        {
            section.Bind(options);
        }
        // The binder says what it could not convert, and where; it throws nothing else for a bindable options class.
        catch (InvalidOperationException e)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(TOptions), [e.Message]);
        }
    }
}
