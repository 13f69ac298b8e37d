using JasperFx.Events.Projections;
using Marten;

namespace AdoptionEvents.Organisations;

public static class Configuration
{
    public static void ConfigureOrganisations(this StoreOptions options)
    {
        options.Events.MapEventType<OrganisationRegistered>("organisation_registered");
        options.Events.MapEventType<OrganisationRenamed>("organisation_renamed");
        options.Events.MapEventType<MembershipStarted>("organisation_membership_started");
        options.Events.MapEventType<MembershipEnded>("organisation_membership_ended");
        options.Events.MapEventType<OrganisationSucceeded>("organisation_succeeded");
        options.Projections.Snapshot<Organisation>(SnapshotLifecycle.Inline);
        options.Schema.For<Organisation>().Index(o => o.Name);
    }
}
