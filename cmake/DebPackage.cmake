# `cpack` in the build folder (or `cmake --build <build> --target package`) makes a Debian
# package: nst_<version>-1_<arch>.deb, installing into /usr.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME nst)
set(CPACK_PACKAGE_VENDOR "The nst authors")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "paint photos in the style of artworks by neural style transfer")
# One string: CPack indents its lines and turns the empty one into Debian's " .".
string(CONCAT CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "nst paints a photograph in the style of an artwork (Gatys, Ecker and Bethge): a VGG19\n"
    "network turns images into feature maps, and Adam changes the output's pixels to\n"
    "minimise a weighted sum of a content loss and a style loss. It paints batches of\n"
    "photos and styles, on the CPU or, built against a CUDA LibTorch, on a GPU.\n"
    "\n"
    "The VGG19 model is not included: /usr/share/nst/models/README says how to export it.")
set(NST_PACKAGE_MAINTAINER "The nst authors <nst@example.org>" CACHE STRING
    "Maintainer field of the Debian package: \"Name <address>\"")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${NST_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION graphics)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# The libraries nst links to, as the Debian packages that hold them (dpkg-shlibdeps reads the
# binary). OpenBLAS is not among them: LibTorch reaches BLAS through libblas.so.3, which the
# reference BLAS provides too, and the Gram matrices then run about 25 times slower; nst's
# kernel check and re-exec (src/engine/blas_kernels.cpp) are about OpenBLAS as well.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libopenblas0-openmp")
# The ffmpeg program copies a painted clip's sound back (OpenCV writes video without it).
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ffmpeg")
# The export script of the model (share/nst/export_vgg19.py) and the completion's file names.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3-torch, python3-torchvision, bash-completion")

# Only the default install component: the "model" one holds a locally exported vgg19.pt.
set(CPACK_INSTALL_CMAKE_PROJECTS "${CMAKE_BINARY_DIR};${PROJECT_NAME};Unspecified;/")
# Checks at packaging time what CPack would otherwise only warn about.
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_CURRENT_LIST_DIR}/DebPackageChecks.cmake)
include(CPack)
