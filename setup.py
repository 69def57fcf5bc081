"""Only the C extension lives here; everything else about the package is in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        # Ken Burns frames (pipeline/render/sources.py). optional: with no C compiler the install
        # still succeeds and the renderer falls back to OpenCV's (slower) warpAffine
        Extension(
            "pipeline.render._resample",
            ["pipeline/render/_resample.c"],
            extra_compile_args=["-O3"],
            libraries=["m"],  # lround
            optional=True,
        )
    ]
)
