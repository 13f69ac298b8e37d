using System.Net;
using System.Net.Http.Json;
using AdoptionEvents.IntegrationTests.Infrastructure;
using AdoptionEvents.Organisations;

namespace AdoptionEvents.IntegrationTests.Organisations;

public class OrganisationTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<Organisation> GetAsync(Guid id) =>
        (await api.Client.Http.GetFromJsonAsync<Organisation>($"/api/organisations/{id}", ApiClient.JsonOptions, Ct))!;

    private Task<HttpResponseMessage> PostAsync<T>(string url, T body) => api.Client.Http.PostAsJsonAsync(url, body, ApiClient.JsonOptions, Ct);

    [Fact]
    public async Task Renames_memberships_and_successions_are_kept_as_history()
    {
        var client = api.Client;
        var region = await client.RegisterOrganisationAsync("North West", OrganisationKind.NhsRegion);
        var ccg = await client.RegisterOrganisationAsync("Liverpool CCG", OrganisationKind.Ccg, [region]);
        var icb = await client.RegisterOrganisationAsync("NHS Cheshire and Merseyside ICB", OrganisationKind.Icb);

        await ApiClient.ExpectAsync(await PostAsync($"/api/organisations/{ccg}/renames", new RenameOrganisation("NHS Liverpool CCG", new DateOnly(2015, 4, 1))), HttpStatusCode.Accepted);
        await ApiClient.ExpectAsync(await PostAsync($"/api/organisations/{icb}/memberships", new StartMembership(region, new DateOnly(2022, 7, 1))), HttpStatusCode.Accepted);
        await ApiClient.ExpectAsync(await PostAsync($"/api/organisations/{ccg}/memberships/ended", new EndMembership(region, new DateOnly(2022, 6, 30))), HttpStatusCode.Accepted);
        await ApiClient.ExpectAsync(await PostAsync($"/api/organisations/{ccg}/successions", new RecordSuccession(icb, new DateOnly(2022, 7, 1))), HttpStatusCode.Accepted);

        var liverpool = await GetAsync(ccg);
        liverpool.Name.ShouldBe("NHS Liverpool CCG");
        liverpool.FormerNames.ShouldBe([new FormerName("Liverpool CCG", new DateOnly(2015, 4, 1))]);
        liverpool.Memberships.Single().To.ShouldBe(new DateOnly(2022, 6, 30));
        (liverpool.SuccessorId, liverpool.SucceededOn).ShouldBe((icb, new DateOnly(2022, 7, 1)));
    }

    [Fact]
    public async Task Organisations_are_searched_by_current_or_former_name_kind_and_parent()
    {
        var client = api.Client;
        var hin = await client.RegisterOrganisationAsync("Health Innovation West of England", OrganisationKind.Hin);
        var trust = await client.RegisterOrganisationAsync("Weston Area Health Trust", memberOf: [hin]);
        await client.RegisterOrganisationAsync("Westonbirt Practice", OrganisationKind.GpPractice);
        await ApiClient.ExpectAsync(await PostAsync($"/api/organisations/{hin}/renames", new RenameOrganisation("Health Innovation West of England HIN", new DateOnly(2023, 10, 1))), HttpStatusCode.Accepted);

        async Task<List<string>> Names(string query) =>
            [.. (await client.Http.GetFromJsonAsync<List<Organisation>>($"/api/organisations{query}", ApiClient.JsonOptions, Ct))!.Select(o => o.Name)];

        (await Names("?q=weston")).ShouldBe(["Weston Area Health Trust", "Westonbirt Practice"]);
        (await Names("?q=weston&kind=gp_practice")).ShouldBe(["Westonbirt Practice"]);
        (await Names($"?parentId={hin}")).ShouldBe(["Weston Area Health Trust"]);
        (await Names("?q=West of England")).ShouldBe(["Health Innovation West of England HIN"]);
        trust.ShouldNotBe(Guid.Empty);
    }

    [Fact]
    public async Task Refusals_name_the_field_and_rule()
    {
        var client = api.Client;
        var trust = await client.RegisterOrganisationAsync("Refusing Trust");

        var empty = await PostAsync("/api/organisations", new RegisterOrganisation(" ", OrganisationKind.Trust));
        (await ApiClient.ProblemAsync(empty, HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("name");

        var unknownParent = await PostAsync("/api/organisations", new RegisterOrganisation("Orphan", OrganisationKind.Trust, MemberOf: [Guid.NewGuid()]));
        (await ApiClient.ProblemAsync(unknownParent, HttpStatusCode.UnprocessableEntity)).GetProperty("field").GetString().ShouldBe("memberOf");

        var self = await PostAsync($"/api/organisations/{trust}/memberships", new StartMembership(trust, new DateOnly(2020, 1, 1)));
        (await ApiClient.ProblemAsync(self, HttpStatusCode.Conflict)).GetProperty("rule").GetString().ShouldBe("not-self");

        var unknownSuccessor = await PostAsync($"/api/organisations/{trust}/successions", new RecordSuccession(Guid.NewGuid(), new DateOnly(2020, 1, 1)));
        (await ApiClient.ProblemAsync(unknownSuccessor, HttpStatusCode.UnprocessableEntity)).GetProperty("field").GetString().ShouldBe("successorId");

        var sameName = await PostAsync($"/api/organisations/{trust}/renames", new RenameOrganisation("Refusing Trust", new DateOnly(2020, 1, 1)));
        (await ApiClient.ProblemAsync(sameName, HttpStatusCode.Conflict)).GetProperty("rule").GetString().ShouldBe("changed");

        var future = await PostAsync($"/api/organisations/{trust}/renames", new RenameOrganisation("Later Trust", new DateOnly(2099, 1, 1)));
        (await ApiClient.ProblemAsync(future, HttpStatusCode.BadRequest)).GetProperty("rule").GetString().ShouldBe("not-in-future");

        var notAMember = await PostAsync($"/api/organisations/{trust}/memberships/ended", new EndMembership(Guid.NewGuid(), new DateOnly(2020, 1, 1)));
        (await ApiClient.ProblemAsync(notAMember, HttpStatusCode.Conflict)).GetProperty("rule").GetString().ShouldBe("member");

        var unknown = await PostAsync($"/api/organisations/{Guid.NewGuid()}/renames", new RenameOrganisation("Ghost", new DateOnly(2020, 1, 1)));
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await client.Http.GetAsync($"/api/organisations/{Guid.NewGuid()}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var unknownField = await client.Http.PostAsync("/api/organisations", ApiClient.Body("{\"name\":\"X\",\"kind\":\"trust\",\"colour\":\"red\"}"), Ct);
        (await ApiClient.ProblemAsync(unknownField, HttpStatusCode.BadRequest)).GetProperty("detail").GetString()!.ShouldContain("colour");

        var badKind = await client.Http.GetAsync("/api/organisations?kind=castle", Ct);
        (await ApiClient.ProblemAsync(badKind, HttpStatusCode.BadRequest)).GetProperty("detail").GetString()!.ShouldContain("gp_practice");

        var badLimit = await client.Http.GetAsync("/api/organisations?limit=lots", Ct);
        badLimit.StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        (await GetAsync(trust)).Version.ShouldBe(1);
    }
}
