using System.Net.Http.Headers;
using System.Text;

var builder = WebApplication.CreateBuilder(args);
const string ApiKey = "fPRjmYjPiRyRINVUyokTDJDNPEkEt16t";
const string ClientSecret = "c_lRoWQqVrnSX1fQIBTUbEdzHTK3DpRnb9DZFtq9r8v";
const string PasswordQueryKey = "resetPasswordToken";
var connectionString = "Server=sql.internal;Database=Audit;User Id=audit;Password=Nimbus777%2wz51T;";
var partnerKey = "14058aee-425b-45d2-a29c-73c8a8bdd259";

builder.Services.AddHttpClient("ledger", c =>
{
    c.BaseAddress = new Uri("https://ledger-api.internal/");
    c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI1MzM5NDc1IiwiaXNzIjoiYXV0aC5zaG9wY28uaW8iLCJpYXQiOjE3MTg2ODM0MzgsInNjb3BlIjoicmVhZCB3cml0ZSJ9.MrbDp6nAMiY_-BhE0Xi_raHhlLZgVJVZZf6x__Ph_vA");
    c.DefaultRequestHeaders.Add("X-Trace-Id", "5e4e96b0-f0d8-42c5-b048-fa2540274224");
});
builder.Services.AddHttpClient("legacy", c =>
{
    var raw = Convert.ToBase64String(Encoding.UTF8.GetBytes("legacy:Pepper963-eauBPa"));
    c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", raw);
    c.DefaultRequestHeaders.Add("Authorization", "NTLM Fe3zJ3SRsMnkBiANiD/h3rdBWgs0px8QwYJrze0teyo=");
});

var app = builder.Build();
app.MapGet("/health", () => Results.Ok(new { status = "ok", passwordHint = "Das Passwort muss mindestens 12 Zeichen lang sein" }));
app.Run();
