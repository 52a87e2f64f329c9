using Receiver.Configuration;

namespace Receiver.PersonalData;

public static class PersonalDataSetup
{
    public static IServiceCollection AddPersonalData(this IServiceCollection services)
    {
        services.AddValidatedOptions<PersonalDataOptions, PersonalDataOptionsValidator>(PersonalDataOptions.Section);
        services.AddSingleton<PersonalDataFilter>();
        return services;
    }
}
