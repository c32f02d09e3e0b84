from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["cards"])
public_router = APIRouter(tags=["public card page"])
