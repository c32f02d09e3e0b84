async def test_signup_verify_signin(api):
    user = await api.user()
    response = await api.client.get("/v1/me", headers=user.headers)
    assert response.status_code == 200
    assert response.json()["email_verified"] is True
